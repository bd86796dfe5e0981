/** A striped jdax driver over several files: declared with provides here and in META-INF/services. */
module com.example.stripe {
    requires io.jdax.api;
    requires jdk.nio.mapmode; // MAP_SYNC (ExtendedMapMode.READ_WRITE_SYNC)

    provides io.jdax.dax.DaxDriver with com.example.stripe.StripeDriver;
}
