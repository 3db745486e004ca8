"""An example mediakeeper plugin: the ``downmix`` step and the ``shouting`` rule."""
