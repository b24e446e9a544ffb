"""PatchEncoder from keras-io, "Image classification with Vision Transformer" (Khalid Salama).

Source: https://github.com/keras-team/keras-io/blob/master/examples/vision/image_classification_with_vision_transformer.py
Commit: 07721306fc501d34bafa970491ede96f33f25a77.
License: Apache-2.0 (keras-io).
"""

from keras import layers, ops


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim):
        super().__init__()
        self.num_patches = num_patches
        self.projection = layers.Dense(units=projection_dim)
        self.position_embedding = layers.Embedding(
            input_dim=num_patches, output_dim=projection_dim
        )

    def call(self, patch):
        positions = ops.expand_dims(
            ops.arange(start=0, stop=self.num_patches, step=1), axis=0
        )
        projected_patches = self.projection(patch)
        encoded = projected_patches + self.position_embedding(positions)
        return encoded

    def get_config(self):
        config = super().get_config()
        config.update({"num_patches": self.num_patches})
        return config
