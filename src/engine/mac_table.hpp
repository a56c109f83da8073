// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#pragma once
// The next-hop MACs of a server worker's flows, each stored once and named
// by a 32-bit id in the flow record: a flow answers through the MAC its SYN
// came from, and behind a router every flow has the same one, so keeping
// 6 bytes per flow would be waste. Entries are counted by reference and
// freed with their last flow: MACs a flood makes up never pile up.

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "net/addr.hpp"

namespace xdpgen::engine {

class MacTable {
public:
    // The id of `mac`, one more reference to it.
    uint32_t acquire(const MacAddr& mac)
    {
        const uint64_t k = key(mac);
        if (auto it = ids_.find(k); it != ids_.end()) {
            refs_[it->second]++;
            return it->second;
        }
        uint32_t id;
        if (!free_.empty()) {
            id = free_.back();
            free_.pop_back();
            macs_[id] = mac;
            refs_[id] = 1;
        } else {
            id = static_cast<uint32_t>(macs_.size());
            macs_.push_back(mac);
            refs_.push_back(1);
        }
        ids_.emplace(k, id);
        return id;
    }
    // One reference less; the entry goes with the last.
    void release(uint32_t id)
    {
        if (--refs_[id] == 0) {
            ids_.erase(key(macs_[id]));
            free_.push_back(id);
        }
    }
    const MacAddr& operator[](uint32_t id) const { return macs_[id]; }
    size_t size() const { return ids_.size(); }

private:
    static uint64_t key(const MacAddr& m)
    {
        uint64_t k = 0;
        for (uint8_t b : m.b)
            k = k << 8 | b;
        return k;
    }

    std::vector<MacAddr> macs_;
    std::vector<uint32_t> refs_;
    std::vector<uint32_t> free_;
    std::unordered_map<uint64_t, uint32_t> ids_;
};

}  // namespace xdpgen::engine
