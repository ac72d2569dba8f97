using ArFleet.ServiceDefaults;

namespace ArFleet.UnitTests;

public sealed class BrokerAddressTests
{
    [Fact]
    public void Reads_host_port_vhost_and_escaped_credentials() =>
        Assert.Equal(new BrokerAddress("rabbit", 5673, "arfleet", "svc", "p@ss:w"), BrokerAddress.Parse("amqp://svc:p%40ss%3Aw@rabbit:5673/arfleet"));

    [Fact]
    public void Defaults_to_the_root_vhost_the_amqp_port_and_guest() =>
        Assert.Equal(new BrokerAddress("localhost", 5672, "/", "guest", "guest"), BrokerAddress.Parse("amqp://localhost"));
}
