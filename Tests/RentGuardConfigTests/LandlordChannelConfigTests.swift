import Foundation
import RentGuardConfig
import RentGuardCore
import Testing

/// `--check-config` on the vendor channels (docs/landlord-channels.md): every key checked,
/// misspellings answered with "did you mean".
@Suite("Landlord vendor channels")
struct LandlordChannelConfigTests {
    static let channel = "type: mqtt\n        topic: landlords/wang/alarms"
    static let sms = """
        type: sms
                provider: tencent
                key_id_file: /etc/rentguard/sms-id
                secret_file: /etc/rentguard/sms-key
                sdk_app_id: "1400006666"
                sign_name: 安居科技
                template_id: "1234567"
                template_params: [building, unit, alarm, time]
                phones: ["+8613800000000"]
        """

    @Test("valid robot and SMS channels load with every key")
    func validChannels() throws {
        let yaml = changed(
            (Self.channel, """
                type: wecom_robot
                        key_file: /etc/rentguard/wecom-key
                        language: en
                      - type: dingtalk_robot
                        key_file: /etc/rentguard/ding-token
                        secret_file: /etc/rentguard/ding-secret
                        keyword: 报警
                      - type: feishu_robot
                        key_file: /etc/rentguard/feishu-hook
                        secret_file: /etc/rentguard/feishu-secret
                        endpoint: https://open.larksuite.com/open-apis/bot/v2/hook
                      - \(Self.sms)
                """),
            ("units:", "http:\n  public_url: https://status.example.cn/b3\nunits:"))
        let config = try ConfigLoader.parse(yaml: yaml, file: "configs/test.yaml")
        let c = config.landlords[0].channels
        #expect(c.map(\.type) == ["wecom_robot", "dingtalk_robot", "feishu_robot", "sms"])
        #expect(c[1].keyword == "报警" && c[2].endpoint == "https://open.larksuite.com/open-apis/bot/v2/hook")
        #expect(c[3].templateParams == ["building", "unit", "alarm", "time"] && c[3].phones == ["+8613800000000"] && c[3].sdkAppID == "1400006666")
        #expect(config.http.publicURL == "https://status.example.cn/b3")
    }

    @Test("each problem names the key and says what is wrong", arguments: [
        ("type: wecom_robot", "landlords[0].channels[0].key_file: missing: a wecom_robot channel needs 'key_file'"),
        ("type: wecom_robott\n        key_file: /k", "landlords[0].channels[0].type: unknown channel type 'wecom_robott' (did you mean 'wecom_robot'?)"),
        ("type: wecom_robot\n        key_file: /k\n        url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
         "landlords[0].channels[0].url: does not apply to wecom_robot channels (they take: key_file, endpoint, language)"),
        ("type: wecom_robot\n        key_file: /k\n        secret_file: /s", "landlords[0].channels[0].secret_file: does not apply to wecom_robot channels"),
        ("type: dingtalk_robot\n        key_file: /k\n        keyword: \" \"", "landlords[0].channels[0].keyword: is empty"),
        ("type: feishu_robot\n        key_file: /k\n        language: english", "landlords[0].channels[0].language: unknown language 'english'; use zh (the default) or en"),
        ("type: feishu_robot\n        key_file: /k\n        language: eng", "landlords[0].channels[0].language: unknown language 'eng' (did you mean 'en'?)"),
        ("type: feishu_robot\n        key_file: /k\n        endpoint: open.feishu.cn", "landlords[0].channels[0].endpoint: must start with https://"),
        ("type: sms", "landlords[0].channels[0].provider: missing: an sms channel needs 'provider' (tencent or aliyun)"),
        ("type: sms\n        provider: tencnet", "landlords[0].channels[0].provider: unknown SMS provider 'tencnet' (did you mean 'tencent'?)"),
        ("type: sms\n        provider: tencent", "landlords[0].channels[0].sdk_app_id: missing: Tencent Cloud SMS needs"),
        ("type: sms\n        provider: tencent", "landlords[0].channels[0].phones: missing: an sms channel needs at least one phone number"),
        ("type: sms\n        provider: aliyun\n        phones: [\"13800000000\"]", "landlords[0].channels[0].phones[0]: must be a phone number in E.164 form"),
        ("type: sms\n        provider: aliyun\n        template_params: [unti]", "landlords[0].channels[0].template_params[0]: unknown template parameter 'unti' (did you mean 'unit'?)"),
        ("type: sms\n        provider: aliyun\n        sdk_app_id: \"1\"", "landlords[0].channels[0].sdk_app_id: only applies to provider tencent"),
        ("type: sms\n        provider: tencent\n        keyword: x", "landlords[0].channels[0].keyword: does not apply to sms channels"),
    ])
    func problems(channel: String, expected: String) {
        let text = errorText(changed((Self.channel, channel)))
        #expect(text.contains(expected), "\(text)")
    }

    @Test("a misspelt key of a channel gets a suggestion")
    func misspeltKey() {
        let text = errorText(changed((Self.channel, "type: dingtalk_robot\n        key_flie: /k")))
        #expect(text.contains("key_flie"), "\(text)")
        #expect(text.contains("did you mean 'key_file'?"), "\(text)")
    }

    @Test("http.public_url must be an http(s) address")
    func publicURL() {
        let text = errorText(changed(("units:", "http:\n  public_url: status.example.cn\nunits:")))
        #expect(text.contains("http.public_url: must start with https://"), "\(text)")
    }
}
