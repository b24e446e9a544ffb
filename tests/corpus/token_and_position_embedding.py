"""TokenAndPositionEmbedding from keras-io, "Text classification with Transformer".

Source: https://github.com/keras-team/keras-io/blob/master/examples/nlp/text_classification_with_transformer.py
Commit: 1909c6710cd3f5af6401f1176dcee9e26781b4f3 (a version in the index; the class matches).
License: Apache-2.0 (keras-io).
"""

from keras import layers, ops


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions
