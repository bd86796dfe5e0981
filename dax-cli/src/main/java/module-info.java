/** The jdax command line. */
module io.jdax.cli {
    requires io.jdax.api;
    requires info.picocli;

    opens io.jdax.cli to info.picocli;
}
