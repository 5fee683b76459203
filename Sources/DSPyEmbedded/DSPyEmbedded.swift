// Bridges the framework's LanguageModel to the embedded engine.
import DSPy
import DSPyEngine
