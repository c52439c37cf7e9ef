# Sourced by the setup scripts: Debian packages, installed only when we may.
#   can_apt            true when running as root on a machine with apt-get and CLASSIFIERS_NO_APT is not 1
#   apt_install PKG... installs; on failure (stale package lists) runs apt-get update and tries once more
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ "${CLASSIFIERS_NO_APT:-0}" != 1 ]; }
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" ||
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"; }
}
