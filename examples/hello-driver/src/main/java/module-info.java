/** A minimal jdax driver: declared with provides here and in META-INF/services. */
module com.example.hello {
    requires io.jdax.api;

    provides io.jdax.dax.DaxDriver with com.example.hello.HelloDriver;
}
