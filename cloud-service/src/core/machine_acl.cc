#include "core/machine_acl.h"

#include "vend/topics.h"

namespace vend::cloud::core {
namespace {

nlohmann::json Acl(const char* type, const std::string& topic, bool allow, int priority) {
  return {{"acltype", type}, {"topic", topic}, {"allow", allow}, {"priority", priority}};
}

}  // namespace

std::string MachineRoleName(const std::string& machine) { return "machine-" + machine; }

nlohmann::json MachineDynsecAcls(const std::string& machine) {
  using schemas::TopicKind;
  nlohmann::json acls = nlohmann::json::array();
  for (auto kind : {TopicKind::kEvents, TopicKind::kTelemetry, TopicKind::kStatus}) {
    acls.push_back(Acl("publishClientSend", schemas::Topic(machine, kind), true, 10));
  }
  for (auto kind : {TopicKind::kAck, TopicKind::kCommands}) {
    acls.push_back(Acl("subscribeLiteral", schemas::Topic(machine, kind), true, 10));
    acls.push_back(Acl("publishClientReceive", schemas::Topic(machine, kind), true, 10));
  }
  // Everything else under the tree is denied, whatever the default access says.
  acls.push_back(Acl("publishClientSend", "vend/v1/m/#", false, 0));
  acls.push_back(Acl("publishClientReceive", "vend/v1/m/#", false, 0));
  acls.push_back(Acl("subscribePattern", "vend/v1/m/#", false, 0));
  acls.push_back(Acl("subscribePattern", "#", false, 0));
  return acls;
}

}  // namespace vend::cloud::core
