/// The command byte of the control unit (GB/T 26875.3-2011 §6.6, table "命令字节").
public enum CentreCommand: UInt8, Sendable, Equatable {
    /// 控制命令 (e.g. clock synchronisation, 查岗), centre → device; answered by confirm.
    case control = 1
    /// 发送数据: fire alarms and facility status, device → centre; answered by confirm.
    case sendData = 2
    /// 确认: the positive answer to control and send-data, with the same serial number.
    case confirm = 3
    /// 请求: a query, centre → device; answered by response.
    case request = 4
    /// 应答: the answer to a request, with the same serial number.
    case response = 5
    /// 否认: the negative answer to control and send-data.
    case deny = 6
}
