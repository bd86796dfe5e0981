package io.jdax.x86;

import io.jdax.arch.Arch;
import io.jdax.arch.contract.ArchContractTest;
import io.jdax.arch.Archs;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Arch contract for the native implementation, with the CPU's best loop and flush. */
class NativeArchContractTest extends ArchContractTest {

    @Override
    protected Arch arch() {
        return NativeArchProvider.instance();
    }

    @Test
    void theServiceLoaderPrefersItOverThePortableArch() {
        assertEquals(NativeArch.NAME, Archs.current().name(), Archs.selection().toString());
        assertTrue(Archs.current().hasCacheWriteback());
        assertTrue(Archs.current().features().get("library").startsWith("extracted from the jar"),
                Archs.current().features().toString());
    }
}
