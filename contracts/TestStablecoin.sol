// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title TestStablecoin
/// @notice A 6-decimal dollar token for the demo and the tests only; the owner mints at will.
contract TestStablecoin is ERC20, Ownable {
    constructor(address owner) ERC20("Keyledger Test USD", "kUSD") Ownable(owner) {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` minor units to `to`. Requirements: the caller is the owner.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
