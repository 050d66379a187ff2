import Foundation
import RentGuardCore

/// Checks of the vendor channels of `landlords[].channels` (`wecom_robot`,
/// `dingtalk_robot`, `feishu_robot`, `sms`; docs/landlord-channels.md) and of
/// `http.public_url`, which their messages link to: what each type needs, keys that do not
/// apply to it, languages, providers, template parameters and phone numbers, each with
/// "did you mean".
enum LandlordChannelValidation {
    /// The vendor channel types, beside `webhook` and `mqtt`.
    static let types = ["wecom_robot", "dingtalk_robot", "feishu_robot", "sms"]
    static let languages = ["zh", "en"]
    static let providers = ["tencent", "aliyun"]
    /// What an SMS template's parameters may be filled with.
    static let templateFields = ["building", "unit", "alarm", "time", "action", "link"]

    /// The keys each vendor type takes, besides `type`.
    static let keys: [String: [String]] = [
        "wecom_robot": ["key_file", "endpoint", "language"],
        "dingtalk_robot": ["key_file", "secret_file", "keyword", "endpoint", "language"],
        "feishu_robot": ["key_file", "secret_file", "endpoint", "language"],
        "sms": ["provider", "key_id_file", "secret_file", "sdk_app_id", "sign_name", "template_id", "template_params", "phones", "region", "endpoint", "language"],
    ]

    static func problems(_ config: BuildingConfig, checkFiles: Bool) -> [ConfigError.Problem] {
        var out: [ConfigError.Problem] = []
        if let u = config.http.publicURL, let problem = urlProblem(u) {
            out.append(.init(ConfigPath.root.key("http").key("public_url"), problem))
        }
        for (i, l) in config.landlords.enumerated() {
            for (j, c) in l.channels.enumerated() where types.contains(c.type) {
                out += problems(c, at: ConfigPath.root.key("landlords").index(i).key("channels").index(j), checkFiles: checkFiles)
            }
        }
        return out
    }

    static func problems(_ c: LandlordConfig.Channel, at p: ConfigPath, checkFiles: Bool) -> [ConfigError.Problem] {
        var out: [ConfigError.Problem] = []
        let allowed = keys[c.type] ?? []
        let set: [(String, Bool)] = [
            ("url", c.url != nil), ("topic", c.topic != nil), ("secret_file", c.secretFile != nil), ("key_file", c.keyFile != nil),
            ("key_id_file", c.keyIDFile != nil), ("keyword", c.keyword != nil), ("endpoint", c.endpoint != nil), ("language", c.language != nil),
            ("provider", c.provider != nil), ("sdk_app_id", c.sdkAppID != nil), ("sign_name", c.signName != nil), ("template_id", c.templateID != nil),
            ("template_params", !c.templateParams.isEmpty), ("phones", !c.phones.isEmpty), ("region", c.region != nil),
        ]
        for (key, present) in set where present && !allowed.contains(key) {
            let hint = key == "url" ? "; a \(c.type) channel reads its key from 'key_file' and takes 'endpoint' only to override the vendor's address" : ""
            out.append(.init(p.key(key), "does not apply to \(c.type) channels (they take: \(allowed.joined(separator: ", ")))\(hint)"))
        }
        func file(_ key: String, _ path: String?, required: Bool) {
            guard let path else {
                if required { out.append(.init(p.key(key), "missing: a \(c.type) channel needs '\(key)' (a file holding it)")) }
                return
            }
            if path.isEmpty { out.append(.init(p.key(key), "is empty: give the path of a file")) }
            guard checkFiles, !path.isEmpty else { return }
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                out.append(.init(p.key(key), "file '\(path)' does not exist"))
            } else if isDir.boolValue {
                out.append(.init(p.key(key), "'\(path)' is a directory, not a file"))
            } else if !FileManager.default.isReadableFile(atPath: path) {
                out.append(.init(p.key(key), "file '\(path)' is not readable (permission denied)"))
            }
        }
        if let e = c.endpoint, let problem = urlProblem(e) { out.append(.init(p.key("endpoint"), problem)) }
        if let l = c.language, !languages.contains(l) {
            out.append(.init(p.key("language"), "unknown language '\(l)'\(Suggestion.didYouMean(l, among: languages)); use zh (the default) or en"))
        }
        switch c.type {
        case "wecom_robot", "feishu_robot":
            file("key_file", c.keyFile, required: true)
            if c.type == "feishu_robot" { file("secret_file", c.secretFile, required: false) }
        case "dingtalk_robot":
            file("key_file", c.keyFile, required: true)
            file("secret_file", c.secretFile, required: false)
            if let k = c.keyword, k.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(.init(p.key("keyword"), "is empty: give the keyword of the robot's security settings, or leave it out"))
            }
        case "sms":
            file("key_id_file", c.keyIDFile, required: true)
            file("secret_file", c.secretFile, required: true)
            if let pr = c.provider {
                if !providers.contains(pr) {
                    out.append(.init(p.key("provider"), "unknown SMS provider '\(pr)'\(Suggestion.didYouMean(pr, among: providers)); use tencent or aliyun"))
                }
            } else {
                out.append(.init(p.key("provider"), "missing: an sms channel needs 'provider' (tencent or aliyun)"))
            }
            if c.provider == "tencent" {
                if let id = c.sdkAppID {
                    if id.isEmpty || !id.allSatisfy(\.isASCIIDigit) { out.append(.init(p.key("sdk_app_id"), "must be the SMS application's digits (e.g. 1400006666), found '\(id)'")) }
                } else {
                    out.append(.init(p.key("sdk_app_id"), "missing: Tencent Cloud SMS needs the SMS application's 'sdk_app_id'"))
                }
            } else if c.provider == "aliyun" {
                if c.sdkAppID != nil { out.append(.init(p.key("sdk_app_id"), "only applies to provider tencent")) }
                if c.region != nil { out.append(.init(p.key("region"), "only applies to provider tencent")) }
            }
            for (key, v) in [("sign_name", c.signName), ("template_id", c.templateID)] {
                if let v {
                    if v.trimmingCharacters(in: .whitespaces).isEmpty { out.append(.init(p.key(key), "is empty")) }
                } else {
                    out.append(.init(p.key(key), "missing: an sms channel needs '\(key)' (approved in the provider's console)"))
                }
            }
            for (k, f) in c.templateParams.enumerated() where !templateFields.contains(f) {
                out.append(.init(
                    p.key("template_params").index(k),
                    "unknown template parameter '\(f)'\(Suggestion.didYouMean(f, among: templateFields)); use \(templateFields.joined(separator: ", "))"))
            }
            if c.phones.isEmpty { out.append(.init(p.key("phones"), "missing: an sms channel needs at least one phone number (+8613800000000)")) }
            for (k, n) in c.phones.enumerated() where !isE164(n) {
                out.append(.init(p.key("phones").index(k), "must be a phone number in E.164 form, '+' then 8 to 15 digits (+8613800000000), found '\(n)'"))
            }
            if let r = c.region, r.isEmpty || !r.allSatisfy({ $0.isASCIILowercaseLetterOrDigit || $0 == "-" }) {
                out.append(.init(p.key("region"), "must be a Tencent Cloud region such as ap-guangzhou, found '\(r)'"))
            }
        default:
            break
        }
        return out
    }

    static func isE164(_ s: String) -> Bool {
        guard s.first == "+" else { return false }
        let digits = s.dropFirst()
        return (8...15).contains(digits.count) && digits.allSatisfy(\.isASCIIDigit) && digits.first != "0"
    }

    static func urlProblem(_ url: String) -> String? {
        let lower = url.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else {
            return "must start with https:// (or http:// for testing), found '\(url)'"
        }
        let rest = url.dropFirst(scheme.count)
        if rest.isEmpty || rest.hasPrefix("/") { return "the host is missing in '\(url)'" }
        if url.contains(where: { $0 == " " || $0 == "\n" }) { return "must not contain spaces, found '\(url)'" }
        return nil
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILowercaseLetterOrDigit: Bool { isASCII && (isLowercase || isNumber) }
}
