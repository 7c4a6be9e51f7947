import Testing

@Test("scaffold builds") func scaffold() { #expect(Bool(true)) }
