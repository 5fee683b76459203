# Sourced by the bench scripts (from the repository root): sets $python to $REF_PYTHON or,
# without it, to .venv-ref/bin/python, making that virtual environment with dspy==3.4.1 and
# llama-cpp-python[server]==0.3.36 from PyPI on first use (llama.cpp compiles for minutes).
python=${REF_PYTHON:-}
if [ -z "$python" ]; then
    [ -x .venv-ref/bin/python ] || {
        python3 -m venv .venv-ref
        .venv-ref/bin/pip install --quiet dspy==3.4.1 'llama-cpp-python[server]==0.3.36'
    }
    python=.venv-ref/bin/python
fi
