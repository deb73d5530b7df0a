// placeholder: implemented by the module's owner
