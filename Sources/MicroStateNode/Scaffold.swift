enum MicroStateNodeScaffold {}
