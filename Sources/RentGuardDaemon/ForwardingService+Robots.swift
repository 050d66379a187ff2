import AsyncHTTPClient
import RentGuardCore
import RentGuardForwarding

extension ForwardingService {
    /// A landlord's robot channel (`wecom_robot`, `dingtalk_robot`, `feishu_robot`;
    /// docs/landlord-channels.md), its key and secret read from their files, wrapped in the
    /// landlord digest; nil for another type. Throws `DaemonError.startup` when a file
    /// cannot be read.
    func robotDestination(_ channel: LandlordConfig.Channel, name: String, landlord: String, config: BuildingConfig, client: () throws -> HTTPClient) throws
        -> (any DeliveryDestination)?
    {
        func read(_ path: String?, _ what: String) throws -> String? {
            guard let path else { return nil }
            do {
                return String(decoding: try readSecret(path), as: UTF8.self)
            } catch {
                throw DaemonError.startup("cannot read the \(what) of landlord \(landlord)'s \(channel.type) channel: \(error)")
            }
        }
        let vendor: any RobotVendor
        let limits: [SendRateLimiter.Limit]
        switch channel.type {
        case "wecom_robot":
            guard let key = try read(channel.keyFile, "key_file") else { return nil }
            vendor = WeComRobot(key: key, endpoint: channel.endpoint)
            limits = WeComRobot.limits
        case "dingtalk_robot":
            guard let key = try read(channel.keyFile, "key_file") else { return nil }
            vendor = DingTalkRobot(key: key, secret: try read(channel.secretFile, "secret_file"), keyword: channel.keyword, endpoint: channel.endpoint)
            limits = DingTalkRobot.limits
        case "feishu_robot":
            guard let key = try read(channel.keyFile, "key_file") else { return nil }
            vendor = FeishuRobot(key: key, secret: try read(channel.secretFile, "secret_file"), endpoint: channel.endpoint)
            limits = FeishuRobot.limits
        case "sms":
            guard let id = try read(channel.keyIDFile, "key_id_file"), let secret = try read(channel.secretFile, "secret_file"),
                let signName = channel.signName, let template = channel.templateID
            else { return nil }
            let sms: any RobotVendor
            switch channel.provider {
            case "tencent":
                guard let app = channel.sdkAppID else { return nil }
                sms = TencentSMS(
                    secretID: id, secretKey: secret, sdkAppID: app, signName: signName, templateID: template, templateParams: channel.templateParams,
                    phones: channel.phones, region: channel.region, endpoint: channel.endpoint)
            case "aliyun":
                sms = AliyunSMS(
                    accessKeyID: id, accessKeySecret: secret, signName: signName, templateCode: template, templateParams: channel.templateParams,
                    phones: channel.phones, endpoint: channel.endpoint)
            default:
                return nil
            }
            let text = RobotDestination(
                name: name, client: try client(), vendor: sms, text: LandlordText(config: config, language: channel.language), limiter: nil)
            return SMSDestination(text)
        default:
            return nil
        }
        let robot = RobotDestination(
            name: name, client: try client(), vendor: vendor, text: LandlordText(config: config, language: channel.language),
            limiter: SendRateLimiter(limits))
        return LandlordDigest(robot, building: config.gateway.building, gateway: config.gateway.id)
    }
}
