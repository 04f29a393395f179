"""Neural networks from scratch in NumPy: perceptron, MLP with backprop, optimisers, convolution.

Teaching code: every piece is small, float64 and checked in the tests against Keras/TensorFlow.
"""

from emostudy.nn.activations import (
    ACTIVATIONS,
    identity,
    identity_grad,
    log_softmax,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_grad,
    tanh,
    tanh_grad,
)
from emostudy.nn.conv import (
    CLASSIC_KERNELS,
    avg_pool2d,
    conv2d,
    conv_params,
    dense_params,
    filter_image,
    max_pool2d,
    output_size,
    receptive_field,
)
from emostudy.nn.gradcheck import check_mlp_gradients, numerical_gradient, relative_error
from emostudy.nn.losses import (
    binary_cross_entropy,
    cross_entropy,
    mse,
    sigmoid_binary_cross_entropy,
    softmax_cross_entropy,
)
from emostudy.nn.mlp import MLP, copy_params
from emostudy.nn.optimizers import (
    SGD,
    Adam,
    Momentum,
    Optimizer,
    flatten_params,
    minimize,
    quadratic,
    quadratic_grad,
    rosenbrock,
    rosenbrock_grad,
)
from emostudy.nn.perceptron import Perceptron

__all__ = [
    "ACTIVATIONS",
    "CLASSIC_KERNELS",
    "MLP",
    "SGD",
    "Adam",
    "Momentum",
    "Optimizer",
    "Perceptron",
    "avg_pool2d",
    "binary_cross_entropy",
    "check_mlp_gradients",
    "conv2d",
    "conv_params",
    "copy_params",
    "cross_entropy",
    "dense_params",
    "filter_image",
    "flatten_params",
    "identity",
    "identity_grad",
    "log_softmax",
    "max_pool2d",
    "minimize",
    "mse",
    "numerical_gradient",
    "output_size",
    "quadratic",
    "quadratic_grad",
    "receptive_field",
    "relative_error",
    "relu",
    "relu_grad",
    "rosenbrock",
    "rosenbrock_grad",
    "sigmoid",
    "sigmoid_binary_cross_entropy",
    "sigmoid_grad",
    "softmax",
    "softmax_cross_entropy",
    "softmax_grad",
    "tanh",
    "tanh_grad",
]
