// The embedded inference engine: GGUF, tokenizer, forward pass, sampling.
