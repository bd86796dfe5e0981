package io.jdax.arch;

import io.jdax.dax.DaxException;
import io.jdax.dax.Errno;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchsTest {

    private static ArchProvider provider(String name, int priority, Arch arch, String failure) {
        return new ArchProvider() {
            @Override
            public boolean cacheInstructions() {
                return priority > 0; // as the real native one says of itself
            }

            @Override
            public String name() {
                return name;
            }

            @Override
            public int priority() {
                return priority;
            }

            @Override
            public Arch load() {
                if (failure != null) {
                    throw new DaxException(Errno.EOPNOTSUPP, failure);
                }
                return arch;
            }
        };
    }

    private final Arch portable = new PortableArch();
    private final Arch fast = new PortableArch();

    @Test
    void highestPriorityThatLoadsWins() {
        ArchSelection s = Archs.select(List.of(provider("portable", 0, portable, null),
                provider("native-x86", 100, fast, null)), null);
        assertSame(fast, s.arch());
        assertEquals("highest priority that loaded", s.reason());
        assertEquals("chosen", s.candidates().getFirst().outcome());
    }

    @Test
    void aProviderThatCannotLoadIsSkippedWithItsReason() {
        ArchSelection s = Archs.select(List.of(provider("portable", 0, portable, null),
                provider("native-x86", 100, null, "not Linux x86-64")), null);
        assertSame(portable, s.arch());
        assertTrue(s.reason().contains("native-x86 unavailable: not Linux x86-64"), s.reason());
    }

    @Test
    void withoutAProviderOfCacheInstructionsTheReasonSaysSo() {
        ArchSelection s = Archs.select(List.of(provider("portable", 0, portable, null)), null);
        assertEquals("no Arch with the CPU's cache instructions is installed", s.reason());
        // named anything else, a provider that says it has them counts: no name is special
        ArchSelection other = Archs.select(List.of(provider("portable", 0, portable, null),
                provider("vendor-arm64", 50, fast, null)), null);
        assertEquals("highest priority that loaded", other.reason());
    }

    @Test
    void negativePriorityIsOnlyUsedWhenNamed() {
        Arch sim = new PortableArch();
        List<ArchProvider> ps = List.of(provider("portable", 0, portable, null), provider("simulated", -100, sim, null));
        assertSame(portable, Archs.select(ps, null).arch());
        ArchSelection forced = Archs.select(ps, "simulated");
        assertSame(sim, forced.arch());
        assertEquals("forced by -Djdax.arch=simulated", forced.reason());
    }

    @Test
    void aForcedChoiceThatFailsIsAnErrorNotASilentFallback() {
        List<ArchProvider> ps = List.of(provider("portable", 0, portable, null),
                provider("native-x86", 100, null, "no SSE2"));
        DaxException e = assertThrows(DaxException.class, () -> Archs.select(ps, "native-x86"));
        assertEquals(Errno.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("no SSE2"), e.getMessage());
        DaxException unknown = assertThrows(DaxException.class, () -> Archs.select(ps, "avx9000"));
        assertTrue(unknown.getMessage().contains("names no installed Arch"), unknown.getMessage());
    }

    @Test
    void theJvmWideChoiceFindsThePortableProviderThroughTheServiceLoader() {
        assertTrue(Archs.selection().candidates().stream().anyMatch(c -> c.name().equals("portable")));
        assertSame(Archs.current(), Archs.current());
    }
}
