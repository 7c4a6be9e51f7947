enum MicroStateLogScaffold {}
