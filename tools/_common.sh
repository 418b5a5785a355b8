# Shared by tools/test and tools/start (sourced, not run): the virtualenv, finding
# Odoo 17, PostgreSQL (system or private cluster) and the addons path.
# Everything here works from any cwd and on a fresh machine.

SS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SS_CACHE=${SHOPIFY_SYNC_CACHE:-$HOME/.cache/shopify_sync}
SS_VENV=$SS_CACHE/venv
SS_PY=$SS_VENV/bin/python
SS_DEVENV=$SS_REPO/tools/devenv
SS_DB_USER=odoo_shopify # Odoo refuses the postgres role
SS_ODOO_ROOT= SS_ODOO_FROM= SS_PG_STOP=
SS_ODOO_HELP="set ODOO_SRC=/path/to/odoo-17.0 source, or make 'import odoo' work, or put it in ~/.cache/shopify_sync/odoo-17.0"

ss_say() { printf '==> %s\n' "$*"; }
ss_warn() { printf '!!  %s\n' "$*" >&2; }
ss_is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- system packages
# Install Debian packages when we are root with apt-get; otherwise say what is missing.
ss_apt_install() {
	local missing=() pkg
	for pkg in "$@"; do
		dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if ss_is_root && command -v apt-get >/dev/null; then
		ss_say "apt-get install ${missing[*]}"
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"; } >"$SS_CACHE/apt.log" 2>&1 ||
			{ ss_warn "apt-get failed, see $SS_CACHE/apt.log"; return 1; }
	else
		ss_warn "missing system packages (install them as root): ${missing[*]}"
		return 1
	fi
}

# ---------------------------------------------------------------- virtualenv
ss_base_python() {
	local py
	for py in "${PYTHON:-}" python3 python3.12 python3.11 python3.10; do
		[ -n "$py" ] && command -v "$py" >/dev/null || continue
		# (pyenv shims exist for versions that are not selected: run them to know)
		if "$py" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null; then
			echo "$py"
			return 0
		fi
	done
	ss_warn "no python 3.10-3.12 found (Odoo 17 needs one); set PYTHON=/path/to/python3"
	return 1
}

ss_venv_create() {
	[ -x "$SS_PY" ] && return 0
	local py
	py=$(ss_base_python) || return 1
	ss_say "creating virtualenv $SS_VENV ($py)"
	mkdir -p "$SS_CACHE"
	"$py" -m venv "$SS_VENV" || { ss_warn "python -m venv failed (Debian: apt-get install python3-venv)"; return 1; }
	"$SS_PY" -m pip install -q --upgrade pip
}

# ss_venv_install LABEL=REQUIREMENT_FILE... : pip-installs the files together unless the
# stamp says these exact contents are installed already (CI must not reinstall each run).
# Odoo 17 still imports pkg_resources, gone from setuptools >= 70: pinned alongside.
ss_venv_install() {
	local stamp=$SS_VENV/.shopify_sync-installed item label line keep need=0 new=() args=()
	for item in "$@"; do
		new+=("${item%%=*} $(sha256sum <"${item#*=}" | cut -c1-16)")
		args+=(-r "${item#*=}")
	done
	new+=("setuptools <70")
	for line in "${new[@]}"; do
		grep -qxF "$line" "$stamp" 2>/dev/null || need=1
	done
	[ $need = 0 ] && return 0
	if printf '%s\n' "$@" | grep -q '^odoo='; then
		# python-ldap and psycopg2 build from source on most pythons
		ss_apt_install libldap2-dev libsasl2-dev libpq-dev gcc || true
	fi
	ss_say "pip install ${args[*]} setuptools<70 (into $SS_VENV)"
	"$SS_PY" -m pip install -q --disable-pip-version-check "${args[@]}" "setuptools<70" ||
		{ ss_warn "pip install failed"; return 1; }
	# Keep the other labels' lines (Odoo's requirements during a --pure run).
	if [ -f "$stamp" ]; then
		while IFS= read -r line; do
			keep=1
			for item in "$@" "setuptools="; do
				label=${item%%=*}
				[ "${line%% *}" = "$label" ] && keep=0
			done
			[ $keep = 1 ] && new+=("$line")
		done <"$stamp"
	fi
	printf '%s\n' "${new[@]}" >"$stamp"
}

# Dev requirements, plus Odoo's own when Odoo is found (build deps first when needed).
ss_venv_ready() {
	ss_venv_create || return 1
	local reqs=("dev=$SS_REPO/requirements-dev.txt")
	if [ -n "${SS_ODOO_ROOT:-}" ] && [ -f "$SS_ODOO_ROOT/requirements.txt" ]; then
		reqs+=("odoo=$SS_ODOO_ROOT/requirements.txt")
	fi
	ss_venv_install "${reqs[@]}"
}

# ---------------------------------------------------------------- Odoo 17
ss_is_odoo17_tree() { # DIR contains odoo/release.py of version 17
	[ -f "$1/odoo/release.py" ] && grep -Eq '^version_info = \(17,' "$1/odoo/release.py"
}

# Where the `odoo` package PY would import lives (prints the dir holding it) if it is
# Odoo 17. find_spec does not run odoo/__init__.py, so missing Odoo deps do not hide it.
ss_importable_odoo17() {
	local py=$1 dir
	[ -x "$py" ] || py=$(command -v "$py" 2>/dev/null) || return 1
	dir=$(cd / && timeout 60 "$py" -c '
import importlib.util, os
spec = importlib.util.find_spec("odoo")
if spec and spec.submodule_search_locations:
    print(os.path.dirname(os.path.abspath(list(spec.submodule_search_locations)[0])))
' 2>/dev/null) || return 1
	[ -n "$dir" ] && ss_is_odoo17_tree "$dir" && echo "$dir"
}

ss_clone_odoo() {
	local dest=$SS_CACHE/odoo-17.0 url=https://github.com/odoo/odoo.git
	[ "${SHOPIFY_SYNC_NO_CLONE:-0}" = 1 ] && return 1
	command -v git >/dev/null || return 1
	timeout 20 git ls-remote --heads "$url" 17.0 >/dev/null 2>&1 || return 1
	ss_say "cloning Odoo 17.0 (shallow) into $dest (up to ${SHOPIFY_SYNC_CLONE_TIMEOUT:-900}s)"
	rm -rf "$dest.partial"
	if timeout "${SHOPIFY_SYNC_CLONE_TIMEOUT:-900}" git clone -q --depth 1 --branch 17.0 \
		--single-branch "$url" "$dest.partial"; then
		mv "$dest.partial" "$dest"
	else
		ss_warn "cloning Odoo failed"
		rm -rf "$dest.partial"
		return 1
	fi
}

# Sets SS_ODOO_ROOT (the dir holding the `odoo` package) and SS_ODOO_FROM; returns 1
# when no Odoo 17 is found. Order: $ODOO_SRC, importable odoo (venv, then python3),
# the cache folder, a shallow clone.
ss_find_odoo() {
	SS_ODOO_ROOT= SS_ODOO_FROM=
	local dir
	if [ -n "${ODOO_SRC:-}" ]; then
		if ss_is_odoo17_tree "$ODOO_SRC"; then
			SS_ODOO_ROOT=$(cd "$ODOO_SRC" && pwd) SS_ODOO_FROM="ODOO_SRC"
			return 0
		fi
		ss_warn "ODOO_SRC=$ODOO_SRC is not an Odoo 17 source tree (no odoo/release.py saying 17); looking elsewhere"
	fi
	for py in "$SS_PY" python3; do
		if dir=$(ss_importable_odoo17 "$py"); then
			SS_ODOO_ROOT=$dir SS_ODOO_FROM="import odoo ($py)"
			return 0
		fi
	done
	dir=$SS_CACHE/odoo-17.0
	if ss_is_odoo17_tree "$dir" || { [ ! -e "$dir" ] && ss_clone_odoo && ss_is_odoo17_tree "$dir"; }; then
		SS_ODOO_ROOT=$dir SS_ODOO_FROM="cache"
		return 0
	fi
	return 1
}

# The addon's technical name must be shopify_sync whatever the clone folder is called.
ss_addons_path() {
	mkdir -p "$SS_REPO/.cache/addons"
	ln -sfn ../.. "$SS_REPO/.cache/addons/shopify_sync"
	local path=$SS_ODOO_ROOT/odoo/addons
	[ -d "$SS_ODOO_ROOT/addons" ] && path=$path,$SS_ODOO_ROOT/addons
	echo "$path,$SS_REPO/.cache/addons"
}

# ss_addon_copy DIR: a copy of the addon's working tree (tracked and untracked, not
# ignored files) at DIR/shopify_sync, with no .git and no .cache: tools that walk the
# addon's folder (Odoo's term exporter, pylint-odoo's manifest lookup) neither follow
# the .cache/addons/shopify_sync -> repo link in circles nor stop at the .git. Echoes DIR.
ss_addon_copy() {
	local dir=$1
	rm -rf "$dir/shopify_sync" && mkdir -p "$dir/shopify_sync" || return 1
	(cd "$SS_REPO" && git ls-files -z -co --exclude-standard | tar --null -cf - -T -) |
		tar -xf - -C "$dir/shopify_sync" || return 1
	echo "$dir"
}

# Command prefix that runs Odoo with the venv python.
ss_odoo_cmd() {
	if [ -f "$SS_ODOO_ROOT/odoo-bin" ]; then
		SS_ODOO=("$SS_PY" "$SS_ODOO_ROOT/odoo-bin")
	else
		SS_ODOO=(env "PYTHONPATH=$SS_ODOO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$SS_PY" -m odoo)
	fi
}

ss_free_port() {
	"$SS_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- PostgreSQL
ss_pg_answers() { # HOST PORT
	if command -v pg_isready >/dev/null; then
		pg_isready -q -h "$1" -p "$2" -t 3
	else
		timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
	fi
}

ss_pg_bindir() {
	local d
	for d in "$(pg_config --bindir 2>/dev/null)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null && command -v pg_ctl >/dev/null && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

# Run a command as the cluster owner: PostgreSQL refuses to run as root.
ss_as_pg() {
	if ss_is_root; then
		runuser -u shopify_sync_pg -- "$@"
	else
		"$@"
	fi
}

# Private cluster: initialise (trust auth) and start it; SS_PG_STOP holds the
# command that stops it when this run started it.
ss_pg_private() {
	local bindir dir port=${SHOPIFY_SYNC_PRIVATE_PG_PORT:-55432}
	bindir=$(ss_pg_bindir) || {
		ss_apt_install postgresql >/dev/null && bindir=$(ss_pg_bindir)
	} || { ss_warn "no PostgreSQL server binaries (initdb, pg_ctl) found: install postgresql"; return 1; }
	dir=$SS_CACHE/pg
	if ss_is_root; then
		id -u shopify_sync_pg >/dev/null 2>&1 ||
			useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin shopify_sync_pg ||
			{ ss_warn "useradd shopify_sync_pg failed"; return 1; }
		mkdir -p "$dir"
		# The cluster owner must reach its folder; /root is usually closed to others.
		if ! runuser -u shopify_sync_pg -- test -x "$dir" 2>/dev/null; then
			dir=/var/lib/shopify_sync_pg/$(printf %s "$SS_CACHE" | sha256sum | cut -c1-8)
		fi
		mkdir -p "$dir"
		chown -R shopify_sync_pg "$dir"
	fi
	mkdir -p "$dir"
	SS_PG_HOST=127.0.0.1 SS_PG_PORT=$port
	if ss_pg_answers "$SS_PG_HOST" "$port"; then
		ss_say "PostgreSQL: private cluster already running on $SS_PG_HOST:$port ($dir)"
		return 0
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		ss_say "PostgreSQL: initialising a private cluster in $dir/data"
		ss_as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
			>"$dir/initdb.log" 2>&1 || { ss_warn "initdb failed, see $dir/initdb.log"; return 1; }
	fi
	ss_say "PostgreSQL: starting the private cluster on $SS_PG_HOST:$port ($dir)"
	ss_as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null ||
		{ ss_warn "pg_ctl start failed, see $dir/server.log"; return 1; }
	SS_PG_STOP="$bindir/pg_ctl -D $dir/data -m fast -w stop"
}

# Sets SS_PG_HOST / SS_PG_PORT to a PostgreSQL that answers and has the Odoo role.
# 127.0.0.1:5432 (or $SHOPIFY_SYNC_PG_HOST:$SHOPIFY_SYNC_PG_PORT) when it answers,
# otherwise (or with SHOPIFY_SYNC_PRIVATE_PG=1) a private cluster.
ss_pg_ready() {
	SS_PG_HOST=${SHOPIFY_SYNC_PG_HOST:-127.0.0.1} SS_PG_PORT=${SHOPIFY_SYNC_PG_PORT:-5432} SS_PG_STOP=
	if [ "${SHOPIFY_SYNC_PRIVATE_PG:-0}" != 1 ] && ss_pg_answers "$SS_PG_HOST" "$SS_PG_PORT"; then
		ss_say "PostgreSQL: using $SS_PG_HOST:$SS_PG_PORT"
	else
		[ "${SHOPIFY_SYNC_PRIVATE_PG:-0}" = 1 ] || ss_say "PostgreSQL: nothing answers on $SS_PG_HOST:$SS_PG_PORT"
		ss_pg_private || return 1
	fi
	"$SS_PY" "$SS_DEVENV/pg.py" "$SS_PG_HOST" "$SS_PG_PORT" ensure-role
}

ss_pg_stop() {
	[ -n "${SS_PG_STOP:-}" ] || return 0
	ss_say "PostgreSQL: stopping the private cluster"
	# shellcheck disable=SC2086 # a simple command line built above
	ss_as_pg $SS_PG_STOP >/dev/null 2>&1 || true
	SS_PG_STOP=
}

ss_odoo_db_args() {
	echo "--db_host=$SS_PG_HOST --db_port=$SS_PG_PORT --db_user=$SS_DB_USER --data-dir=$SS_CACHE/odoo-data"
}
