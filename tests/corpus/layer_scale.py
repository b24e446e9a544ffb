"""LayerScale from Keras Applications' ConvNeXt (keras/src/applications/convnext.py).

Source: https://github.com/keras-team/keras/blob/master/keras/src/applications/convnext.py
Commit: 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60 (same code; keras.src imports as keras).
License: Apache-2.0 (Keras).
"""

from keras import initializers, layers


class LayerScale(layers.Layer):
    """Layer scale module.

    References:

    - https://arxiv.org/abs/2103.17239

    Args:
        init_values (float): Initial value for layer scale. Should be within [0, 1].
        projection_dim (int): Projection dimensionality.

    Returns:
        Tensor multiplied to the scale.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, _):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=initializers.Constant(self.init_values),
            trainable=True,
        )

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "init_values": self.init_values,
                "projection_dim": self.projection_dim,
            }
        )
        return config
