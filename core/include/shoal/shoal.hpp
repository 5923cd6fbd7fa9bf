// shoal: brokerless messaging. One include for the whole public API.
#pragma once

#include "shoal/context.hpp"
#include "shoal/error.hpp"
#include "shoal/message.hpp"
#include "shoal/monitor.hpp"
#include "shoal/options.hpp"
#include "shoal/poller.hpp"
#include "shoal/proxy.hpp"
#include "shoal/result.hpp"
#include "shoal/socket.hpp"
#include "shoal/topology.hpp"
#include "shoal/zero_copy.hpp"
