extension GatewayGauges {
    /// `rentguard_ingest_queue_depth{queue}`: the messages of the batch being handled (the
    /// broker holds the rest), operator inputs waiting for the pipeline, and alarm transitions
    /// waiting in memory for the database.
    public func ingestQueue(batch: Int, inputs: Int, unpersisted: Int) {
        gauge("rentguard_ingest_queue_depth", [("queue", "batch")]).set(to: Double(batch))
        gauge("rentguard_ingest_queue_depth", [("queue", "control")]).set(to: Double(inputs))
        gauge("rentguard_ingest_queue_depth", [("queue", "unpersisted_transitions")]).set(to: Double(unpersisted))
    }
}
