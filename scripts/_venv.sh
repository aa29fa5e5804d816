# Sourced by the scripts: create the virtual environment on first use, keep it in step with
# pyproject.toml, compile the translation catalogues, and put the venv on PATH.
VENV="${REGISTRY_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e ".[test]"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
export PATH="$PWD/$VENV/bin:$PATH"
if ls registry/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then
  pybabel -q compile -d registry/translations
fi
