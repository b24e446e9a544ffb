"""TubeletEmbedding from keras-io, "Video Vision Transformer" (ViViT, on MedMNIST's
OrganMNIST3D CT volumes: a medical-imaging example).

Source: https://github.com/keras-team/keras-io/blob/master/examples/vision/vivit.py
Commit: 05f15440ca01ebd8173d6ba9aec2924422a0a906 (the class matches; tf.keras as keras).
License: Apache-2.0 (keras-io).
"""

from keras import layers


class TubeletEmbedding(layers.Layer):
    def __init__(self, embed_dim, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.projection = layers.Conv3D(
            filters=embed_dim,
            kernel_size=patch_size,
            strides=patch_size,
            padding="VALID",
        )
        self.flatten = layers.Reshape(target_shape=(-1, embed_dim))

    def call(self, videos):
        projected_patches = self.projection(videos)
        flattened_patches = self.flatten(projected_patches)
        return flattened_patches
