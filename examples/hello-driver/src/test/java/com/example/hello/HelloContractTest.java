package com.example.hello;

import io.jdax.testkit.conformance.DriverContractTest;

import java.nio.file.Path;
import java.util.List;

/** The jdax driver conformance suite, run against this driver: all a plugin needs to prove itself. */
class HelloContractTest extends DriverContractTest {
    @Override
    protected String scheme() {
        return "hello";
    }

    @Override
    protected String newDeviceSpec(Path scratch, long size) {
        return "hello:suite?size=" + size;
    }

    @Override
    protected List<String> badSpecs() {
        return List.of("hello:x?size=100", "hello:x?size=0", "hello:x?size=lots");
    }
}
