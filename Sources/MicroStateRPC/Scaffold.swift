enum MicroStateRPCScaffold {}
