"""The landing page's figure: the recognizer's output on scikit-image's astronaut photograph.

The photograph (Eileen Collins, NASA, public domain) ships with scikit-image, so the figure needs
no data folder and no network. Regenerate it from the checkout's root with::

    emostudy pages        # also writes book/images/landing_astronaut.{png,json}

The PNG is what the page shows; the JSON beside it records what the recognizer found (image size,
faces, emotions), so that a test can regenerate the figure and check that it still matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Where the figure lives, relative to the checkout's root.
DEFAULT_PNG = Path("book") / "images" / "landing_astronaut.png"


def recognize_demo() -> tuple[Any, Any]:
    """Run the default recognizer on the demo photograph.

    Returns
    -------
    image : numpy.ndarray
        The photograph, uint8 BGR ``(512, 512, 3)``.
    recognition : emostudy.recognition.Recognition
        What :meth:`emostudy.EmotionRecognizer.recognize` returned for it.
    """
    import emostudy
    from emostudy.recognition import demo_image

    image = demo_image()
    return image, emostudy.EmotionRecognizer().recognize(image)


def landing_figure(png: str | Path = DEFAULT_PNG) -> dict[str, Any]:
    """Draw the recognizer's output on the demo photograph and save it as ``png``.

    A JSON file with the same stem is written beside the PNG: the image size and, per face, the
    box, emotion and confidence.

    Parameters
    ----------
    png
        Path of the PNG to write (its folder is created when missing).

    Returns
    -------
    dict
        ``{"image": ..., "width": int, "height": int, "faces": [...]}``, as written to the JSON
        file.
    """
    import cv2

    from emostudy.recognition import draw_faces

    image, recognition = recognize_demo()
    drawn = draw_faces(image, recognition)
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(png), drawn, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"could not write {png}")
    summary = {
        "image": "scikit-image astronaut (Eileen Collins, NASA, public domain)",
        "width": int(drawn.shape[1]),
        "height": int(drawn.shape[0]),
        "faces": [
            {
                "box": [round(float(v)) for v in face.box],
                "emotion": face.emotion,
                "confidence": round(face.confidence, 2),
            }
            for face in recognition
        ],
    }
    png.with_suffix(".json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
