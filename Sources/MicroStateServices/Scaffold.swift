enum MicroStateServicesScaffold {}
