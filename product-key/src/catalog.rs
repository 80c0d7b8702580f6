//! The feature catalog. A bit never changes meaning and is never reused.

use std::fmt;

use crate::error::FeatureError;

/// A module the product can unlock; its discriminant is its bit in the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Feature {
    /// Bit 0, `dataflow`.
    Dataflow = 0,
    /// Bit 1, `workflow`.
    Workflow = 1,
    /// Bit 2, `subflow`.
    Subflow = 2,
    /// Bit 3, `data-model`.
    DataModel = 3,
    /// Bit 4, `report-model`.
    ReportModel = 4,
    /// Bit 5, `api-flow`.
    ApiFlow = 5,
    /// Bit 6, `edi`.
    Edi = 6,
    /// Bit 7, `scheduler`.
    Scheduler = 7,
    /// Bit 8, `data-quality`.
    DataQuality = 8,
    /// Bit 9, `pushdown`.
    Pushdown = 9,
    /// Bit 10, `cdc`.
    Cdc = 10,
    /// Bit 11, `cloud-connectors`.
    CloudConnectors = 11,
}

impl Feature {
    /// Every assigned feature, in bit order.
    pub const ALL: [Feature; 12] = [
        Feature::Dataflow,
        Feature::Workflow,
        Feature::Subflow,
        Feature::DataModel,
        Feature::ReportModel,
        Feature::ApiFlow,
        Feature::Edi,
        Feature::Scheduler,
        Feature::DataQuality,
        Feature::Pushdown,
        Feature::Cdc,
        Feature::CloudConnectors,
    ];

    /// The bit number in the key's feature field.
    pub const fn bit(self) -> u8 {
        self as u8
    }

    /// The catalog name, e.g. `data-model`.
    pub const fn name(self) -> &'static str {
        match self {
            Feature::Dataflow => "dataflow",
            Feature::Workflow => "workflow",
            Feature::Subflow => "subflow",
            Feature::DataModel => "data-model",
            Feature::ReportModel => "report-model",
            Feature::ApiFlow => "api-flow",
            Feature::Edi => "edi",
            Feature::Scheduler => "scheduler",
            Feature::DataQuality => "data-quality",
            Feature::Pushdown => "pushdown",
            Feature::Cdc => "cdc",
            Feature::CloudConnectors => "cloud-connectors",
        }
    }

    /// The name shown to people, e.g. `Data Model`.
    pub const fn shown(self) -> &'static str {
        match self {
            Feature::Dataflow => "Dataflow",
            Feature::Workflow => "Workflow",
            Feature::Subflow => "Subflow",
            Feature::DataModel => "Data Model",
            Feature::ReportModel => "Report Model",
            Feature::ApiFlow => "API Flow",
            Feature::Edi => "EDI",
            Feature::Scheduler => "Job Scheduler",
            Feature::DataQuality => "Data Quality",
            Feature::Pushdown => "Pushdown Optimization",
            Feature::Cdc => "Change Data Capture",
            Feature::CloudConnectors => "Cloud Connectors",
        }
    }

    /// Finds a feature by its name or shown form, ignoring case.
    pub fn from_name(text: &str) -> Result<Feature, FeatureError> {
        let text = text.trim();
        Feature::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(text) || f.shown().eq_ignore_ascii_case(text))
            .ok_or_else(|| FeatureError::Unknown(text.to_owned()))
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The 64-bit feature field: catalog features plus any bits this release does not know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FeatureSet(u64);

impl FeatureSet {
    /// No feature.
    pub const EMPTY: FeatureSet = FeatureSet(0);

    /// The set whose field is `bits`, unknown bits included.
    pub const fn from_bits(bits: u64) -> FeatureSet {
        FeatureSet(bits)
    }

    /// Every assigned feature of the catalog.
    pub fn all() -> FeatureSet {
        Feature::ALL.into_iter().collect()
    }

    /// Reads a list of names (`all` alone means every assigned feature). An empty list,
    /// an unknown name, or `all` beside other names is an error.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<FeatureSet, FeatureError> {
        let names: Vec<&str> = names.into_iter().map(str::trim).collect();
        if names.is_empty() || names.iter().all(|n| n.is_empty()) {
            return Err(FeatureError::Empty);
        }
        if names.iter().any(|n| n.eq_ignore_ascii_case("all")) {
            return if names.len() == 1 { Ok(FeatureSet::all()) } else { Err(FeatureError::AllWithOthers) };
        }
        let mut set = FeatureSet::EMPTY;
        for name in names {
            if name.is_empty() {
                return Err(FeatureError::EmptyName);
            }
            set.insert(Feature::from_name(name)?);
        }
        Ok(set)
    }

    /// The 64-bit field.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Adds a feature.
    pub fn insert(&mut self, feature: Feature) {
        self.0 |= 1 << feature.bit();
    }

    /// Whether the feature is granted.
    pub fn contains(self, feature: Feature) -> bool {
        self.0 & (1 << feature.bit()) != 0
    }

    /// The granted catalog features, in bit order.
    pub fn features(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// Set bits that the catalog does not assign (12..=63), ascending.
    pub fn unknown_bits(self) -> impl Iterator<Item = u8> {
        (Feature::ALL.len() as u8..64).filter(move |b| self.0 & (1u64 << b) != 0)
    }

    /// Whether no bit at all is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Feature> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> FeatureSet {
        let mut set = FeatureSet::EMPTY;
        for f in iter {
            set.insert(f);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_shown_forms_are_found_in_any_case() {
        for f in Feature::ALL {
            assert_eq!(Feature::from_name(f.name()), Ok(f));
            assert_eq!(Feature::from_name(&f.shown().to_uppercase()), Ok(f));
        }
        assert_eq!(Feature::from_name("Job scheduler"), Ok(Feature::Scheduler));
        assert!(Feature::from_name("teleport").is_err());
    }

    #[test]
    fn lists_follow_the_rules() {
        assert_eq!(FeatureSet::from_names(["all"]), Ok(FeatureSet::from_bits(0xfff)));
        assert_eq!(FeatureSet::from_names(["ALL", "edi"]), Err(FeatureError::AllWithOthers));
        assert_eq!(FeatureSet::from_names([]), Err(FeatureError::Empty));
        let set = FeatureSet::from_names(["workflow", "Dataflow"]).expect("valid names");
        assert_eq!(set.bits(), 0b11);
        assert_eq!(FeatureSet::from_bits(1 << 40 | 1).unknown_bits().collect::<Vec<_>>(), [40]);
    }
}
