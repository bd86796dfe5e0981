package io.jdax.dax;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceSpecTest {

    @Test
    void parsesSchemePathAndParametersInOrder() {
        DeviceSpec s = DeviceSpec.parse("pmem:/mnt/pmem/a?size=1G&create=true");
        assertEquals("pmem", s.scheme());
        assertEquals("/mnt/pmem/a", s.path());
        assertEquals(Map.of("size", "1G", "create", "true"), s.params());
        assertEquals(1L << 30, s.size("size").orElseThrow());
        assertTrue(s.flag("create", false));
        assertFalse(s.flag("absent", false));
    }

    @Test
    void pathMayBeEmptyAndParametersOptional() {
        DeviceSpec s = DeviceSpec.parse("brd:");
        assertEquals("", s.path());
        assertTrue(s.params().isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "brd:x?size=1Q          | unknown unit 'Q'",
            "brd:?size=-1           | negative",
            "brd:x?size=            | empty size",
            "brd:x?size=99999999999999999999 | too large",
            "brd:x?size=16E         | larger than",
            "nocolon                | has no scheme",
            "Brd:x                  | bad scheme 'Brd'",
            ":x                     | bad scheme ''",
            "brd:x?                 | no parameters",
            "brd:x?size             | bad parameter 'size'",
            "brd:x?size=1&size=2    | given twice",
            "brd:x?=3               | bad parameter '=3'",
    })
    void malformedSpecsNameTheBadPart(String spec, String expected) {
        DaxException e = assertThrows(DaxException.class, () -> DeviceSpec.parse(spec).size("size"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unknownParameterIsNamedWithTheKnownOnes() {
        DeviceSpec s = DeviceSpec.parse("brd:x?sise=1G");
        DaxException e = assertThrows(DaxException.class, () -> s.requireKnownParams(Set.of("size")));
        assertTrue(e.getMessage().contains("unknown parameter 'sise'") && e.getMessage().contains("known: size"),
                e.getMessage());
    }

    @Test
    void flagRejectsGarbage() {
        DaxException e = assertThrows(DaxException.class,
                () -> DeviceSpec.parse("pmem:/f?create=maybe").flag("create", false));
        assertTrue(e.getMessage().contains("'maybe'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"4096,4096", "64K,65536", "64M,67108864", "1G,1073741824", "1gib,1073741824", "2TiB,2199023255552",
            "1t,1099511627776", "7E,8070450532247928832", "0,0", "12B,12"})
    void sizesParseInPowersOf1024(String text, long expected) {
        assertEquals(expected, Sizes.parse(text));
    }

    @Test
    void sizesFormatBack() {
        assertEquals("64 MiB", Sizes.format(64L << 20));
        assertEquals("4097 B", Sizes.format(4097));
        assertEquals("1 TiB", Sizes.format(1L << 40));
        assertEquals("1536 KiB", Sizes.format(1536L << 10));
    }
}
