// The DSPy framework: signatures, adapters, modules, optimizers and evaluation.
