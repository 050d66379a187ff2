import RentGuardCore

extension BrokerConfig {
    /// `url`, parsed. A loaded configuration has been validated, so this only throws for
    /// values built or changed in code.
    public func parsedURL() throws(BrokerURLError) -> BrokerURL {
        try BrokerURL(parsing: url)
    }
}
