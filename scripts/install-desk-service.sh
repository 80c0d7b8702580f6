#!/usr/bin/env bash
# Installs `keygen desk` as a systemd service, as docs/desk.md "Running as a service" describes:
#   sudo scripts/install-desk-service.sh --public-url https://desk.example.com:8417 \
#        [--binary target/release/keygen] [--tls-cert CHAIN.pem --tls-key KEY.pem]
# - the user and group keygen (a system user, no shell);
# - the binary at /usr/local/bin/keygen, where docs/keygen-desk.service runs it;
# - /var/lib/keygen (the vault), /etc/keygen and /var/backups/keygen, each 0700, owned by keygen;
# - the TLS files /etc/keygen/desk-cert.pem and desk-key.pem (0600): copied from --tls-cert and
#   --tls-key, or, without them, a self-signed certificate for the URL's host made by openssl
#   (browsers warn about it: replace it with one your CA signs, then restart the service);
# - docs/keygen-desk.service with the URL in --public-url, and the daily backup
#   (docs/keygen-backup.service and .timer: /var/backups/keygen/ledger-YYYY-MM-DD.sqlite).
# It never makes the signing key or its passphrase: it says the commands for those, and starts
# nothing until both are there. Run it again to update the binary or the unit.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
binary="$repo/target/release/keygen"
url=""
cert=""
key=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --public-url) url="$2"; shift 2 ;;
    --tls-cert) cert="$2"; shift 2 ;;
    --tls-key) key="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$url" ] || { echo "give --public-url https://NAME:8417 (the address people type)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 1; }
[ -x "$binary" ] || { echo "no keygen binary at $binary: cargo build --release -p keygen, or give --binary" >&2; exit 1; }
if { [ -n "$cert" ] && [ -z "$key" ]; } || { [ -z "$cert" ] && [ -n "$key" ]; }; then
  echo "give both --tls-cert and --tls-key, or neither (a self-signed certificate is made)" >&2
  exit 2
fi
host="${url#https://}"
host="${host#http://}"
host="${host%%/*}"
name="${host%:*}"
case "$url" in
  https://*) ;;
  *) echo "--public-url $url: the desk listens on every address with TLS: give an https:// URL" >&2; exit 2 ;;
esac

umask 077
getent group keygen >/dev/null || groupadd --system keygen
getent passwd keygen >/dev/null ||
  useradd --system --gid keygen --home-dir /var/lib/keygen --no-create-home --shell /usr/sbin/nologin keygen
install -D -m 0755 "$binary" /usr/local/bin/keygen
for d in /var/lib/keygen /etc/keygen /var/backups/keygen; do
  install -d -m 0700 -o keygen -g keygen "$d"
  chmod 0700 "$d"
done
if [ -n "$cert" ]; then
  install -m 0600 -o keygen -g keygen "$cert" /etc/keygen/desk-cert.pem
  install -m 0600 -o keygen -g keygen "$key" /etc/keygen/desk-key.pem
elif [ ! -e /etc/keygen/desk-cert.pem ]; then
  case "$name" in
    [0-9]*.[0-9]*.[0-9]*.[0-9]*) san="IP:$name" ;;
    *) san="DNS:$name" ;;
  esac
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=$name" -addext "subjectAltName=$san" \
    -keyout /etc/keygen/desk-key.pem -out /etc/keygen/desk-cert.pem 2>/dev/null
  chown keygen:keygen /etc/keygen/desk-key.pem /etc/keygen/desk-cert.pem
  chmod 0600 /etc/keygen/desk-key.pem /etc/keygen/desk-cert.pem
  echo "made a self-signed certificate for $name in /etc/keygen (browsers warn: replace it with your CA's)" >&2
fi
sed "s#--public-url https://desk.example.com:8417#--public-url $url#" "$repo/docs/keygen-desk.service" \
  >/etc/systemd/system/keygen-desk.service
install -m 0644 "$repo/docs/keygen-backup.service" "$repo/docs/keygen-backup.timer" /etc/systemd/system/
chmod 0644 /etc/systemd/system/keygen-desk.service
systemctl daemon-reload 2>/dev/null || true

missing=()
[ -e /var/lib/keygen/signing-key.pem ] || missing+=(key)
[ -e /etc/keygen/passphrase.cred ] || missing+=(cred)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installed. Before the desk can start:" >&2
  case " ${missing[*]} " in *" key "*)
    echo "  sudo -u keygen keygen init --dir /var/lib/keygen --encrypt     # the key ceremony: asks the passphrase" >&2 ;;
  esac
  case " ${missing[*]} " in *" cred "*)
    echo "  sudo systemd-creds encrypt --name=keygen-passphrase - /etc/keygen/passphrase.cred   # type the passphrase, then Ctrl-D" >&2 ;;
  esac
  echo "then: sudo systemctl enable --now keygen-desk keygen-backup.timer" >&2
  echo "and:  sudo -u keygen keygen desk user add NAME --role admin --key /var/lib/keygen/signing-key.pem" >&2
else
  systemctl enable --now keygen-desk keygen-backup.timer
  systemctl restart keygen-desk
  echo "keygen desk runs at $url; backups go to /var/backups/keygen daily" >&2
fi
