#!/usr/bin/env bash
# Set up a clinic's shared history for CXR Desktop on a Debian/Ubuntu Linux box (as root):
#
#   sudo bash setup_clinic_server.sh --subnet 192.168.1.0/24 --hostname cxr-server.local
#
# It installs PostgreSQL, creates the database "cxr" with a least-privilege login for the PCs
# (roles.sql), turns on TLS with a clinic certificate authority made here (the PCs check the
# server with sslmode=verify-full), lets only the clinic's subnet connect, and backs the
# database up every night with pg_dump (kept 14 days). Running it again keeps the data, the
# passwords and the certificates. Passwords are generated (or taken from CXR_OWNER_PASSWORD and
# CXR_APP_PASSWORD) and written to /root/cxr-clinic-server.txt (0600). See docs/CLINIC_NETWORK.md.
#
#   bash setup_clinic_server.sh --make-certs DIR HOSTNAME   only the TLS files (ca.crt, server.*)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

make_certs() {  # DIR HOSTNAME: a CA (ca.crt, ca.key) and a server certificate it signed
  local dir="$1" host="$2"
  mkdir -p "$dir"
  ( cd "$dir"
    umask 077
    [ -f ca.key ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
      -subj "/CN=CXR Desktop clinic CA" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$host" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
      "$host" > server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -sha256 -extfile server.ext -out server.crt 2>/dev/null
    rm -f server.csr server.ext
    chmod 600 server.key ca.key
    chmod 644 ca.crt server.crt )
}

if [ "${1:-}" = "--make-certs" ]; then
  make_certs "${2:?DIR}" "${3:?HOSTNAME}"
  exit 0
fi

subnet="" hostname_="$(hostname -f 2>/dev/null || hostname)" database="cxr"
while [ $# -gt 0 ]; do
  case "$1" in
    --subnet) subnet="$2"; shift 2 ;;
    --hostname) hostname_="$2"; shift 2 ;;
    --database) database="$2"; shift 2 ;;
    *) echo "usage: $0 --subnet CIDR [--hostname NAME] [--database NAME]" >&2; exit 2 ;;
  esac
done
[ -n "$subnet" ] || { echo "error: --subnet is required, e.g. --subnet 192.168.1.0/24" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo)" >&2; exit 2; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql openssl >/dev/null
version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
conf="/etc/postgresql/$version/main"
[ -d "$conf" ] || pg_createcluster "$version" main >/dev/null

secrets=/root/cxr-clinic-server.txt
touch "$secrets" && chmod 600 "$secrets"
owner_password="${CXR_OWNER_PASSWORD:-$(sed -n 's/^owner password: //p' "$secrets")}"
app_password="${CXR_APP_PASSWORD:-$(sed -n 's/^app password: //p' "$secrets")}"
[ -n "$owner_password" ] || owner_password="$(openssl rand -base64 18 | tr -d '/+=')"
[ -n "$app_password" ] || app_password="$(openssl rand -base64 18 | tr -d '/+=')"

tls="$conf/cxr-tls"
make_certs "$tls" "$hostname_"
chown -R postgres:postgres "$tls"
cat > "$conf/conf.d/cxr-desktop.conf" <<CONF
# CXR Desktop (setup_clinic_server.sh)
listen_addresses = '*'
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
CONF
hba="$conf/pg_hba.conf"
if ! grep -q "# CXR Desktop" "$hba"; then
  cat >> "$hba" <<HBA
# CXR Desktop (setup_clinic_server.sh): the clinic's PCs, over TLS only, with a password
hostssl $database cxr_app,cxr_owner $subnet scram-sha-256
hostnossl $database all 0.0.0.0/0 reject
HBA
fi
if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
  systemctl enable --now postgresql >/dev/null
  systemctl restart postgresql
else
  pg_ctlcluster "$version" main restart 2>/dev/null || pg_ctlcluster "$version" main start
fi

runuser -u postgres -- psql -q -X -v dbname="$database" -v owner_password="$owner_password" \
  -v app_password="$app_password" -f "$here/roles.sql" >/dev/null

# Nightly backup, kept 14 days: restore with pg_restore -d cxr FILE (docs/CLINIC_NETWORK.md).
install -d -m 700 -o postgres -g postgres /var/backups/cxr
cat > /etc/cron.d/cxr-desktop-backup <<CRON
# CXR Desktop: nightly backup of the clinic history (setup_clinic_server.sh)
30 1 * * * postgres pg_dump -Fc -f /var/backups/cxr/$database-\$(date +\%F).dump $database && find /var/backups/cxr -name '*.dump' -mtime +14 -delete
CRON

{
  echo "CXR Desktop clinic server ($(date -u +%F))"
  echo "owner password: $owner_password"
  echo "app password: $app_password"
  echo "CA certificate for the PCs: $tls/ca.crt"
  echo "PCs: postgresql://cxr_app@$hostname_:5432/$database?sslmode=verify-full&sslrootcert=<copy of ca.crt>"
} > "$secrets"
echo "The clinic database is running. Passwords and addresses: $secrets"
echo "Next, on ONE PC (it creates the tables and copies that PC's history):"
echo "  PGPASSWORD='<owner password>' cxr-desktop history migrate --to 'postgresql://cxr_owner@$hostname_:5432/$database?sslmode=verify-full&sslrootcert=ca.crt'"
echo "Then on every PC: Settings > Shared clinic database, user cxr_app, with a copy of $tls/ca.crt."
