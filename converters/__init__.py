"""Vigogne Hugging Face checkpoints to GGUF, and GGUF to quantized GGUF. No Qt here."""
