"""Turn user histories and candidates into instructions (InstructRec-style prompts)."""

from hybrid_rec.verbalize.verbalizer import BUILTIN_TEMPLATES, Instruction, Template, Verbalizer, VerbalizerConfig

__all__ = ["BUILTIN_TEMPLATES", "Instruction", "Template", "Verbalizer", "VerbalizerConfig"]
