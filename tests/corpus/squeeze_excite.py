"""SqueezeAndExcite2D from keras-cv (keras_cv/layers/regularization/squeeze_excite.py).

Source: https://github.com/keras-team/keras-cv/blob/master/keras_cv/layers/regularization/squeeze_excite.py
Commit: 94b0a551d03ee9de3d81663e2c1a680cb113f7f1 (keras_cv/src/layers/regularization/; there
call() defaults training=None and a from_config rebuilds activations, both left out).
License: Apache-2.0 (keras-cv).
"""

from keras import layers, ops


class SqueezeAndExcite2D(layers.Layer):
    """Squeeze and excite block as in "Squeeze-and-Excitation Networks"."""

    def __init__(
        self,
        filters,
        bottleneck_filters=None,
        squeeze_activation="relu",
        excite_activation="sigmoid",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = filters
        if bottleneck_filters and bottleneck_filters >= filters:
            raise ValueError(
                "`bottleneck_filters` should be smaller than `filters`. Got "
                f"`filters={filters}`, and "
                f"`bottleneck_filters={bottleneck_filters}`."
            )
        if filters <= 0 or not isinstance(filters, int):
            raise ValueError(f"`filters` should be a positive integer. Got {filters}")
        self.bottleneck_filters = bottleneck_filters or (filters // 4)
        self.squeeze_activation = squeeze_activation
        self.excite_activation = excite_activation
        self.global_average_pool = layers.GlobalAveragePooling2D(keepdims=True)
        self.squeeze_conv = layers.Conv2D(
            self.bottleneck_filters,
            (1, 1),
            activation=self.squeeze_activation,
        )
        self.excite_conv = layers.Conv2D(
            self.filters, (1, 1), activation=self.excite_activation
        )

    def call(self, inputs, training=True):
        x = self.global_average_pool(inputs)  # x: (batch_size, 1, 1, filters)
        x = self.squeeze_conv(x)  # x: (batch_size, 1, 1, bottleneck_filters)
        x = self.excite_conv(x)  # x: (batch_size, 1, 1, filters)
        x = ops.multiply(x, inputs)  # x: (batch_size, h, w, filters)
        return x

    def get_config(self):
        config = {
            "filters": self.filters,
            "bottleneck_filters": self.bottleneck_filters,
            "squeeze_activation": self.squeeze_activation,
            "excite_activation": self.excite_activation,
        }
        base_config = super().get_config()
        return dict(list(base_config.items()) + list(config.items()))
