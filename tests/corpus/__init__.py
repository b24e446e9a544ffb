"""Real Layer classes from public Keras code (each file's header: source, commit, license), with
the constructor values and input shape each is run with."""

from pathlib import Path

HERE = Path(__file__).parent

# file, class, --init values, input shape
CORPUS = [
    ("transformer_block.py", "TransformerBlock",
     {"embed_dim": 32, "num_heads": 2, "ff_dim": 32}, (None, 10, 32)),
    ("token_and_position_embedding.py", "TokenAndPositionEmbedding",
     {"maxlen": 10, "vocab_size": 16, "embed_dim": 8}, (None, 10)),
    ("patch_encoder.py", "PatchEncoder",
     {"num_patches": 16, "projection_dim": 8}, (None, 16, 12)),
    ("layer_scale.py", "LayerScale", {"init_values": 1e-6, "projection_dim": 32}, (None, 8, 8, 32)),
    ("squeeze_excite.py", "SqueezeAndExcite2D", {"filters": 16}, (None, 8, 8, 16)),
    ("involution.py", "Involution",
     {"channel": 8, "group_number": 1, "kernel_size": 3, "stride": 1, "reduction_ratio": 2,
      "name": "inv"}, (None, 8, 8, 8)),
    ("position_embedding.py", "PositionEmbedding", {"sequence_length": 10}, (None, 10, 8)),
    ("transformer_encoder.py", "TransformerEncoder",
     {"embed_dim": 16, "dense_dim": 32, "num_heads": 2}, (None, 10, 16)),
    ("tubelet_embedding.py", "TubeletEmbedding",
     {"embed_dim": 16, "patch_size": (4, 4, 4)}, (None, 8, 8, 8, 1)),
    ("monai_blocks.py", "UnetResBlock", {"out_channels": 16}, (None, 16, 16, 8)),
    ("monai_blocks.py", "UnetBasicBlock", {"out_channels": 16}, (None, 16, 16, 8)),
]
