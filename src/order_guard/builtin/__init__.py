"""Built-in plugins, registered through the same door as third-party ones (see ``manager``)."""
