"""The one UI kit the field app (``app.ui``) and the coordinator console (``app.console``)
both build on, as peers: bundled fonts and text direction, touch-sized buttons and fields,
cards and notices (:mod:`app.uikit.components`), and serving a Flet app offline
(:mod:`app.uikit.web`). Neither program imports the other."""
