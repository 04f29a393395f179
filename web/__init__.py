"""The book's in-browser recognizer (``book/try_it.md``): its JavaScript sources (``src/``), the
build step that stages them with the runtime and the models (:mod:`web.try_it_build`), and the
Chromium driver that tests and measures the page (:mod:`web.try_it_browser`)."""
