#!/usr/bin/env bash
# A SoftHSM token to try or test keygen's token signing (issue 31, docs/token.md).
#
#   scripts/softhsm-token.sh install        installs Debian's softhsm2 and opensc when missing
#   scripts/softhsm-token.sh module         prints the SoftHSM module's path
#   scripts/softhsm-token.sh [DIR] [LABEL]  creates a token labelled LABEL (default: vendor) in
#                                           DIR (default: a new temporary folder) and prints
#                                           the environment to use it
#
# The token's PIN is random, written to DIR/pin (mode 0600); its SO PIN to DIR/so-pin. Nothing
# outside DIR is touched but the packages. The printed lines are for `eval`:
#
#   eval "$(scripts/softhsm-token.sh)"
#   pkcs11-tool --module "$KEYGEN_PKCS11_MODULE" --token-label vendor --login \
#       --pin "$(cat "$KEYGEN_PKCS11_PIN_FILE")" -O
set -euo pipefail

module_path() {
    local m
    for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
        if [[ -f $m ]]; then
            echo "$m"
            return 0
        fi
    done
    return 1
}

install() {
    if command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null && module_path >/dev/null; then
        return 0
    fi
    local sudo=()
    if [[ $(id -u) != 0 ]]; then
        command -v sudo >/dev/null || { echo "softhsm-token.sh: softhsm2/opensc missing and not root (no sudo)" >&2; return 1; }
        sudo=(sudo -n)
    fi
    echo "softhsm-token.sh: installing softhsm2 and opensc (apt-get)" >&2
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq softhsm2 opensc >&2
    module_path >/dev/null
}

case "${1:-}" in
    install) install; exit ;;
    module) module_path || { echo "softhsm-token.sh: no SoftHSM module (run: $0 install)" >&2; exit 1; }; exit ;;
    -h|--help) sed -n '2,16p' "$0"; exit ;;
esac

install
module=$(module_path)
dir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/softhsm.XXXXXX")}
label=${2:-vendor}
umask 077
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
cat >"$dir/softhsm2.conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
# Random PINs, never on a command line other than softhsm2-util's own (run here, once).
pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$pin" >"$dir/pin"
printf '%s\n' "$so_pin" >"$dir/so-pin"
chmod 600 "$dir/pin" "$dir/so-pin"
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" \
    --so-pin "$so_pin" --pin "$pin" >&2
printf 'export SOFTHSM2_CONF=%q\n' "$dir/softhsm2.conf"
printf 'export KEYGEN_PKCS11_MODULE=%q\n' "$module"
printf 'export KEYGEN_PKCS11_PIN_FILE=%q\n' "$dir/pin"
printf '# the key: pkcs11:token=%s;object=signing\n' "$label"
