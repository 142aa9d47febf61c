import ParityTesting

/// Reference fixtures written by tools/reference (PyTorch on the same libtorch) and their machine record.
let referenceFixtures = FixtureSet()
