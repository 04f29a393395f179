"""Class names, usages and the image size shared by every data set.

``FER_CLASSES`` is the label order of the original ``fer2013.csv`` (``emotion`` column 0..6):
0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral. Every FER-2013 label in
emostudy is an index into this tuple, whichever layout (CSV or folders) the data came from.
"""

from __future__ import annotations

#: FER-2013 classes, in the label order 0..6 of the original fer2013.csv.
FER_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

#: CK+ classes (peak frames of the labelled sequences; CK+ has no neutral label), alphabetical.
CKPLUS_CLASSES: tuple[str, ...] = (
    "anger",
    "contempt",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "surprise",
)

#: The 8 FER+ emotions (chapter 8): FER-2013's 7 in :data:`FER_CLASSES` order, then contempt. A
#: model trained on the FER+ votes outputs these (or the first 7).
FERPLUS_CLASSES: tuple[str, ...] = (*FER_CLASSES, "contempt")

#: FER-2013 usages, in protocol order: train on Training, select on PublicTest, report PrivateTest.
FER_USAGES: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")

#: Side length in pixels of every face image (48x48 grayscale).
FACE_SIZE = 48
