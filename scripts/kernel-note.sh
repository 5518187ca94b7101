#!/usr/bin/env bash
# Says where this checkout's Jupyter kernel is, and warns when a per-user "elmo-lib" kernelspec (registered by an
# older `make setup`) points at another Python: Jupyter looks in the user's folder first, so it would shadow this one.
set -u
py="$1"
prefix="$("$py" -c 'import sys; print(sys.prefix)')"
echo "jupyter kernel: \"Python (elmo-lib)\" in $prefix/share/jupyter/kernels/elmo-lib; start Jupyter from this venv ($prefix/bin/jupyter lab) and pick it"
user_spec="$("$py" -c 'from jupyter_core.paths import jupyter_data_dir; print(jupyter_data_dir())')/kernels/elmo-lib/kernel.json"
if [ -f "$user_spec" ] && ! grep -q "\"$prefix/bin/python" "$user_spec"; then
  echo "note: $user_spec (from an older setup) runs another Python and shadows this venv's kernel; remove it with: $prefix/bin/jupyter kernelspec remove -y elmo-lib  (only if no other checkout still needs it)" >&2
fi
exit 0
