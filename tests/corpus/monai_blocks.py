"""UnetResBlock and UnetBasicBlock of MONAI (monai/networks/blocks/dynunet_block.py), in Keras.

Source: https://github.com/Project-MONAI/MONAI/blob/dev/monai/networks/blocks/dynunet_block.py
Commit: d388d1c6fec8cb3a0eebee5b5a0b9776ca59ca83 of MONAI (PyTorch), ported by hand: a simplified
port (out_channels and defaults only, no dropout, 'same' padding, the 1x1 projection made in
build(), GroupNormalization with a learned scale), not MONAI's numbers.
License: Apache-2.0 (MONAI).
"""

from keras import layers


class UnetResBlock(layers.Layer):
    """A skip-connection based module for DynUNet (MONAI's UnetResBlock)."""

    def __init__(self, out_channels, kernel_size=3, stride=1, negative_slope=0.01, **kwargs):
        super().__init__(**kwargs)
        self.out_channels = out_channels
        self.stride = stride
        self.conv1 = layers.Conv2D(
            out_channels, kernel_size, strides=stride, padding="same", use_bias=False
        )
        self.conv2 = layers.Conv2D(out_channels, kernel_size, padding="same", use_bias=False)
        self.lrelu = layers.LeakyReLU(negative_slope)
        self.norm1 = layers.GroupNormalization(groups=-1, epsilon=1e-5)
        self.norm2 = layers.GroupNormalization(groups=-1, epsilon=1e-5)

    def build(self, input_shape):
        self.conv3 = None
        self.norm3 = None
        if input_shape[-1] != self.out_channels or self.stride != 1:
            self.conv3 = layers.Conv2D(
                self.out_channels, 1, strides=self.stride, use_bias=False
            )
            self.norm3 = layers.GroupNormalization(groups=-1, epsilon=1e-5)

    def call(self, inp):
        residual = inp
        out = self.conv1(inp)
        out = self.norm1(out)
        out = self.lrelu(out)
        out = self.conv2(out)
        out = self.norm2(out)
        if self.conv3 is not None:
            residual = self.conv3(residual)
        if self.norm3 is not None:
            residual = self.norm3(residual)
        out = out + residual
        out = self.lrelu(out)
        return out


class UnetBasicBlock(layers.Layer):
    """A CNN module for DynUNet (MONAI's UnetBasicBlock): two conv-norm-act steps."""

    def __init__(self, out_channels, kernel_size=3, stride=1, negative_slope=0.01, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(
            out_channels, kernel_size, strides=stride, padding="same", use_bias=False
        )
        self.conv2 = layers.Conv2D(out_channels, kernel_size, padding="same", use_bias=False)
        self.lrelu = layers.LeakyReLU(negative_slope)
        self.norm1 = layers.GroupNormalization(groups=-1, epsilon=1e-5)
        self.norm2 = layers.GroupNormalization(groups=-1, epsilon=1e-5)

    def call(self, inp):
        out = self.conv1(inp)
        out = self.norm1(out)
        out = self.lrelu(out)
        out = self.conv2(out)
        out = self.norm2(out)
        out = self.lrelu(out)
        return out
