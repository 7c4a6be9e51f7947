enum MicroStateStoreScaffold {}
